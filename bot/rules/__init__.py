"""Rules as data (``rules/*.yaml``) and the code that reads them (eligibility, cycles, work days…)."""
