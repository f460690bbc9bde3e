# Warnings are errors everywhere: the core parses hostile input, and a
# warning there is usually a bug.
function(sl_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-qual -Wformat=2 -Wundef -Wvla)
endfunction()
