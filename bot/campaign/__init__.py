"""The install campaign: the area tree, village teams and roles, household visits, the demo."""
