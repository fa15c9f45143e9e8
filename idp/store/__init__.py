"""The only modules that issue SQL. Functions take the session first and never commit."""
