"""Mass-testing campaigns (全员核酸): plans, pools, results, coverage."""
