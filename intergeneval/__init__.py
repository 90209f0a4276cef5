"""intergeneval package."""
