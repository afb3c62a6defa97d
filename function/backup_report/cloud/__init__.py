"""The R-KVStore edge: the official SDK client, pacing, retries, paging; model data out."""
