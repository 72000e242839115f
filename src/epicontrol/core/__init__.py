"""Pure computation: numpy in, numpy/arrow out; no database, web or domains."""
