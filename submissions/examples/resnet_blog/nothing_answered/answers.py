"""Example submission: defines none of the names."""


