// Linked with one whole room of sim/ and the rooms below it (tests/meson.build): building it is
// the check that the room calls nothing above itself.
int main() { return 0; }
