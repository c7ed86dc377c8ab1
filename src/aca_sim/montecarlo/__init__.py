"""Monte Carlo studies: seeded caching trials with drawn faults and parameters, on Ray."""
