"""Congress trading (periodic transaction reports): silver, dimensions and facts."""
