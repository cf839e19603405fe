"""insats: a workflow engine for individual insatser in Swedish samordningsförbund."""
