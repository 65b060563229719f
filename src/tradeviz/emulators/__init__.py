"""Local emulators of the trade APIs, for tests, benchmarks and offline trials.

They speak the recorded wire formats in ../shared/corpus and label generated responses
synthetic (header X-Tradeviz-Synthetic: 1), so nothing they produce passes as real data.
"""
