"""What course staff see about a whole batch or a whole course, never a student: answer groups, the
similarity report, the class report, LMS exports, the Gradescope zip."""
