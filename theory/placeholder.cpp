namespace theory { int placeholder = 0; }
