"""offline_sync package."""
