"""Ti Lab core: accounts, roles, departments, decision records, money, the API plumbing; imports no
other app of the project (config/ composes them)."""
