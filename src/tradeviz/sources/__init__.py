"""One module per data source; all share tradeviz.http and tradeviz.raw_store."""
