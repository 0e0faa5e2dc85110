// Ctrl-C handling: the signal handler only sets a flag; the controller polls it between
// commands and ends the simulation cleanly, so traces and logs are still complete files.
#pragma once

namespace memgan {

void install_interrupt_handler();
bool interrupt_requested();
void request_interrupt();  // what the handler does; tests call it directly

}  // namespace memgan
