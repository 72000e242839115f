"""Resource engines: provision against standards, capacity, stock, staffing."""
