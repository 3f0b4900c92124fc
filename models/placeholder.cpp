namespace models { int placeholder = 0; }
