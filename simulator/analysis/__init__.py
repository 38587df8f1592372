"""Analysis of simulated runs: aggregation, intervals, comparisons."""
