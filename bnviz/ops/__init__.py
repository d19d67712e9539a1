"""One definition per operation: NumPy forward, local backward and SymPy form side by side."""
