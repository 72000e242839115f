"""Three-zone management (三区): zones, their sources, history and daily evaluations."""
