# Warnings on for our own code only; system headers (SystemC) stay quiet.
function(memgan_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
endfunction()
