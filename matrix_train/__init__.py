"""matrix_train package."""
