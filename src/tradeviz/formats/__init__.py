"""Wire formats of the sources, written the way the real APIs write them: used by the
offline demo (to write its raw layer) and by the emulators (to answer requests), so both
produce the same bytes from one definition. No HTTP and no werkzeug here."""
