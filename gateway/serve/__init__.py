"""`mutaika serve`: the supervisor, its children and how they are wired together."""
