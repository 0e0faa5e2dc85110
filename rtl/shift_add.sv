// Shift-and-add unit behind a crossbar array's ADCs (one lane).
//
// Recombines the signed ADC codes of one output element over the input-bit chunks c (DAC
// cycles) and weight slices s exactly as models/crossbar does (crossbar_array.h):
//
//   y = sum_c sum_s code(c, s) * 2^(c*Bd + s*Bc)
//
// Every term's weight is positive: the sign of the top input chunk is already in the code (the
// top DAC chunk is signed, so its analog read and its code are signed), and Differential
// weights carry their sign in G+ - G-. Offset encoding's digital correction (- 2^(Bw-1) sum x) is
// not part of this unit.
//
// Protocol (one beat per clock, no back-pressure): with in_valid high the unit adds
// in_code <<< (in_cycle * cfg_dac_bits + in_slice * cfg_cell_bits) to its accumulator; in_first
// restarts the sum with this beat; on in_last the complete sum appears on out_sum with out_valid
// high for one clock after the rising edge that took the beat (latency 1). Beats of one output
// may come in any (c, s) order. The sum wraps at ACC_W bits: models/crossbar's int32 accumulator
// is exact for the supported widths (|y| < 2^15 * 2^8 * 2^8), so with ACC_W = 32 nothing wraps.
module shift_add #(
    parameter int CODE_W = 16,  // signed ADC code width (>= adc_bits)
    parameter int ACC_W  = 32,  // signed accumulator width
    parameter int IDX_W  = 3    // width of the chunk and slice indices (up to 8 of each)
) (
    input  logic                     clk,
    input  logic                     rst_n,          // synchronous, active low
    input  logic [         IDX_W:0]  cfg_dac_bits,   // Bd, bits per input chunk
    input  logic [         IDX_W:0]  cfg_cell_bits,  // Bc, bits per weight slice
    input  logic                     in_valid,
    input  logic                     in_first,
    input  logic                     in_last,
    input  logic [       IDX_W-1:0]  in_cycle,       // c
    input  logic [       IDX_W-1:0]  in_slice,       // s
    input  logic signed [CODE_W-1:0] in_code,
    output logic                     out_valid,
    output logic signed [ ACC_W-1:0] out_sum
);
  localparam int SHIFT_W = 2 * IDX_W + 2;  // (2^IDX_W - 1) * (2^(IDX_W+1) - 1) * 2 fits

  logic        [SHIFT_W-1:0] shamt;  // c*Bd + s*Bc
  logic signed [  ACC_W-1:0] term;   // code << shamt, sign-extended
  logic signed [  ACC_W-1:0] acc;    // running sum of the current output
  logic signed [  ACC_W-1:0] acc_next;

  always_comb begin
    shamt = SHIFT_W'(in_cycle) * SHIFT_W'(cfg_dac_bits) + SHIFT_W'(in_slice) * SHIFT_W'(cfg_cell_bits);
    term = ACC_W'(in_code) <<< shamt;
    acc_next = (in_first ? '0 : acc) + term;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      acc       <= '0;
      out_valid <= 1'b0;
      out_sum   <= '0;
    end else begin
      out_valid <= in_valid && in_last;
      if (in_valid) begin
        acc <= acc_next;
        if (in_last) out_sum <= acc_next;
      end
    end
  end
endmodule
