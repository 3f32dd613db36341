"""Reading: safe fetching and extraction into one Document type (see the submodules)."""
