// Address generator of the pixel_wise (RED, scatter) dataflow as memgan models it
// (docs/dataflows.md): one MVM per non-zero input pixel on the Cin x (K*K*Cout) matrix, whose
// K x K x Cout patch is overlap-added into the output at origin (iy*S - P, ix*S - P). No zero
// is ever fetched: only the H x W real input pixels are stepped over (zero skipping).
//
// The matrix spans n_rt row tiles (Cin / R) x n_ct column tiles of arrays; array a = ct * n_rt
// + rt holds row tile rt of column tile ct. Step sequence (golden model: tests/rtl/golden.h,
// red_steps), outermost first:
//   for iy < H, ix < W (raster), for ct < n_ct, for rt < n_rt:
//     pixel   = iy * W + ix
//     in_addr = pixel * cin + rt * rows_per_array   (element offset of the input window: the
//               pixel's Cin vector, the slice row tile rt reads)
//     array   = ct * n_rt + rt
//     out_y0  = iy * S - P, out_x0 = ix * S - P     (signed patch origin, may be negative:
//               the overlap-add crops)
//     first   = rt == 0 (start a partial sum), last = rt == n_rt - 1 (partial sum complete)
//     done    = the final step of the layer
// Handshake: a pulse on start (while idle) loads the configuration; the unit then presents one
// step per clock while step_ready is high (valid/ready, no step lost or repeated).
module red_addr_gen #(
    parameter int DIM_W  = 10,  // H, W, S, P fields
    parameter int TILE_W = 6,   // n_rt, n_ct fields
    parameter int ADDR_W = 24   // in_addr width
) (
    input  logic                     clk,
    input  logic                     rst_n,           // synchronous, active low
    input  logic                     start,
    input  logic [        DIM_W-1:0] cfg_h,           // input height, >= 1
    input  logic [        DIM_W-1:0] cfg_w,           // input width, >= 1
    input  logic [        DIM_W-1:0] cfg_stride,      // S
    input  logic [        DIM_W-1:0] cfg_pad,         // P
    input  logic [       ADDR_W-1:0] cfg_cin,         // input channels (elements per pixel)
    input  logic [       ADDR_W-1:0] cfg_rows,        // rows per array (R)
    input  logic [       TILE_W-1:0] cfg_row_tiles,   // n_rt, >= 1
    input  logic [       TILE_W-1:0] cfg_col_tiles,   // n_ct, >= 1
    input  logic                     step_ready,
    output logic                     step_valid,
    output logic [     2*DIM_W-1:0]  step_pixel,
    output logic [       ADDR_W-1:0] step_in_addr,
    output logic [     2*TILE_W-1:0] step_array,
    output logic signed [2*DIM_W:0]  step_out_y0,
    output logic signed [2*DIM_W:0]  step_out_x0,
    output logic                     step_first,
    output logic                     step_last,
    output logic                     step_done,
    output logic                     busy
);
  logic [DIM_W-1:0] h, w, stride, pad, iy, ix;
  logic [ADDR_W-1:0] cin, rows;
  logic [TILE_W-1:0] n_rt, n_ct, rt, ct;

  logic end_rt, end_ct, end_ix, end_iy;
  always_comb begin
    end_rt = rt == n_rt - 1'b1;
    end_ct = ct == n_ct - 1'b1;
    end_ix = ix == w - 1'b1;
    end_iy = iy == h - 1'b1;
    step_valid   = busy;
    step_pixel   = (2*DIM_W)'(iy) * (2*DIM_W)'(w) + (2*DIM_W)'(ix);
    step_in_addr = ADDR_W'(step_pixel) * cin + ADDR_W'(rt) * rows;
    step_array   = (2*TILE_W)'(ct) * (2*TILE_W)'(n_rt) + (2*TILE_W)'(rt);
    step_out_y0  = $signed({1'b0, (2*DIM_W)'(iy) * (2*DIM_W)'(stride)}) - $signed({{(DIM_W+1){1'b0}}, pad});
    step_out_x0  = $signed({1'b0, (2*DIM_W)'(ix) * (2*DIM_W)'(stride)}) - $signed({{(DIM_W+1){1'b0}}, pad});
    step_first   = rt == '0;
    step_last    = end_rt;
    step_done    = end_rt && end_ct && end_ix && end_iy;
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
      {h, w, stride, pad, iy, ix} <= '0;
      {cin, rows} <= '0;
      {n_rt, n_ct, rt, ct} <= '0;
    end else if (!busy) begin
      if (start) begin
        busy <= 1'b1;
        h <= cfg_h;
        w <= cfg_w;
        stride <= cfg_stride;
        pad <= cfg_pad;
        cin <= cfg_cin;
        rows <= cfg_rows;
        n_rt <= cfg_row_tiles;
        n_ct <= cfg_col_tiles;
        {iy, ix, rt, ct} <= '0;
      end
    end else if (step_ready) begin
      if (step_done) busy <= 1'b0;
      if (!end_rt) rt <= rt + 1'b1;
      else begin
        rt <= '0;
        if (!end_ct) ct <= ct + 1'b1;
        else begin
          ct <= '0;
          if (!end_ix) ix <= ix + 1'b1;
          else begin
            ix <= '0;
            iy <= iy + 1'b1;
          end
        end
      end
    end
  end
endmodule
