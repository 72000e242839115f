"""Resources: capacity forecast, stockpiles (three-tier holdings and ledger), staffing."""
