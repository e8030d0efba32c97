"""What the GUI shows and checks, as plain data and functions, without Tk."""
