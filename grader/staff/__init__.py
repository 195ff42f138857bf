"""What course staff see about a whole batch, never a student: answer groups, the similarity report."""
