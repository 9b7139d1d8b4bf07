"""Platform adapters: each turns one platform's events into engine calls and renders replies."""
