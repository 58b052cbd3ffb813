"""The domain: plain dataclasses shared by every room. Standard library only."""
