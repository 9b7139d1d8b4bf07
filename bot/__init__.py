"""The conversation engine: runs a turn of the shared flow over the store, for any platform."""
