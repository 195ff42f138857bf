"""What touches a whole course rather than one submission: the class report, LMS exports, the Gradescope zip."""
