"""The faces people use in a browser: staff request pages (signed links) and the console."""
