"""leaderboard_ui package."""
