"""The logical file store: the store protocol, the local store, HTTP servers and client."""
