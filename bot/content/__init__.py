"""Loading and validating the content folders (dialogs/, knowledge/, rules/)."""
