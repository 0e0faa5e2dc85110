// Command decoder of the controller: decodes one program-image command per clock and flags the
// checks that one command can fail on its own (firmware/program_image.h, docs/rtl.md).
//
// C++ golden model: firmware/command_decoder.{h,cpp} (decode_command_checked), which the
// controller uses in tlm mode. Checks that need the whole program (an address reaching a
// target, LOOP bodies crossing or nesting too deep) are not here: the controller runs them in
// C++ on this unit's output, in both modes.
//
// Pins (one command per clock, no back-pressure; rst_n synchronous, active low):
//   in_valid                 a command is on in_*
//   in_op, in_a, in_b, in_c  the command's four little-endian u32 words: opcode | a | b | c
//   in_index                 its index in the program (0-based)
//   in_count                 the program's command count (image header)
//   in_version               the image version (image header)
//   out_valid                one clock after the rising edge that took in_valid: out_* hold
//                            that command's decode until the next accepted command
//   out_index                the command's index, echoed
//   out_op                   opcode class: the opcode (0x0..0x5, 0xF) when known, else 0
//   out_reg                  register access (WRITE32, POLL32, EXPECT32): the bus checks a
//   out_a, out_b, out_c      the operands, passed through
//   out_error                the first failing check, in this priority order:
//     0 NONE
//     1 INDEX        in_index >= in_count (a driver bug: never in a parsed image)
//     2 OPCODE       unknown opcode
//     3 END_EARLY    END that is not the last command (index != count - 1)
//     4 UNALIGNED    WRITE32 / POLL32 / EXPECT32 address a not 4-byte aligned
//     5 LOOP_V1      LOOP in an image of version < 2
//     6 LOOP_START   LOOP body start a not before the LOOP (a >= index)
//     7 LOOP_ZERO    LOOP with b = 0 iterations
//     8 NO_END       the last command (index = count - 1) is not END; the C++ side reports it
//                    only after every other check of the program has passed, as it always did
module cmd_decoder (
    input  logic        clk,
    input  logic        rst_n,
    input  logic        in_valid,
    input  logic [31:0] in_op,
    input  logic [31:0] in_a,
    input  logic [31:0] in_b,
    input  logic [31:0] in_c,
    input  logic [31:0] in_index,
    input  logic [31:0] in_count,
    input  logic [15:0] in_version,
    output logic        out_valid,
    output logic [31:0] out_index,
    output logic [ 3:0] out_op,
    output logic        out_reg,
    output logic [31:0] out_a,
    output logic [31:0] out_b,
    output logic [31:0] out_c,
    output logic [ 3:0] out_error
);
  localparam logic [31:0] OP_NOP = 32'h00, OP_WRITE32 = 32'h01, OP_POLL32 = 32'h02, OP_EXPECT32 = 32'h03;
  localparam logic [31:0] OP_WAIT = 32'h04, OP_LOOP = 32'h05, OP_END = 32'h0F;

  localparam logic [3:0] ERR_NONE = 4'd0, ERR_INDEX = 4'd1, ERR_OPCODE = 4'd2, ERR_END_EARLY = 4'd3;
  localparam logic [3:0] ERR_UNALIGNED = 4'd4, ERR_LOOP_V1 = 4'd5, ERR_LOOP_START = 4'd6, ERR_LOOP_ZERO = 4'd7;
  localparam logic [3:0] ERR_NO_END = 4'd8;

  logic       is_reg, is_loop, is_end, known, is_last;
  logic [3:0] err;

  always_comb begin
    is_reg  = in_op == OP_WRITE32 || in_op == OP_POLL32 || in_op == OP_EXPECT32;
    is_loop = in_op == OP_LOOP;
    is_end  = in_op == OP_END;
    known   = is_reg || is_loop || is_end || in_op == OP_NOP || in_op == OP_WAIT;
    // Only meaningful once in_index < in_count, so in_count >= 1 and the subtraction cannot wrap.
    is_last = in_index == in_count - 32'd1;

    if (in_index >= in_count) err = ERR_INDEX;
    else if (!known) err = ERR_OPCODE;
    else if (is_end && !is_last) err = ERR_END_EARLY;
    else if (is_reg && in_a[1:0] != 2'b00) err = ERR_UNALIGNED;
    else if (is_loop && in_version < 16'd2) err = ERR_LOOP_V1;
    else if (is_loop && in_a >= in_index) err = ERR_LOOP_START;
    else if (is_loop && in_b == 32'd0) err = ERR_LOOP_ZERO;
    else if (is_last && !is_end) err = ERR_NO_END;
    else err = ERR_NONE;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_index <= '0;
      out_op    <= '0;
      out_reg   <= 1'b0;
      out_a     <= '0;
      out_b     <= '0;
      out_c     <= '0;
      out_error <= ERR_NONE;
    end else begin
      out_valid <= in_valid;
      if (in_valid) begin
        out_index <= in_index;
        out_op    <= known ? in_op[3:0] : 4'd0;
        out_reg   <= is_reg;
        out_a     <= in_a;
        out_b     <= in_b;
        out_c     <= in_c;
        out_error <= err;
      end
    end
  end
endmodule
