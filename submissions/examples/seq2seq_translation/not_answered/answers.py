"""A submission that answers nothing yet."""
