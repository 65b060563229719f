"""`python -m tradeviz`: the same command line as `tradeviz`."""

from tradeviz.cli import main

if __name__ == "__main__":
    main()
