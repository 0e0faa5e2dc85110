// Bandwidth reservation of a shared resource (models/base/occupancy.h): earliest gap at or
// after the ready time, out-of-order requests filling gaps, retirement.
#include <gtest/gtest.h>

#include "models/base/occupancy.h"

namespace memgan {
namespace {

TEST(Occupancy, QueuesBehindEarlierReservationsAndFillsGaps) {
  Occupancy o;
  EXPECT_EQ(o.reserve(100, 10), 100u);  // [100, 110)
  EXPECT_EQ(o.reserve(100, 10), 110u);  // queues: [110, 120)
  EXPECT_EQ(o.reserve(200, 5), 200u);   // [200, 205)
  EXPECT_EQ(o.reserve(115, 50), 120u) << "the gap [120, 200) holds 50";
  EXPECT_EQ(o.reserve(150, 40), 205u) << "[170, 200) is too short for 40";
  EXPECT_EQ(o.reserve(0, 100), 0u) << "before everything";
  EXPECT_EQ(o.reserve(50, 0), 50u) << "no time, no reservation";
  EXPECT_EQ(o.busy_ps(), 10u + 10 + 5 + 50 + 40 + 100);
  EXPECT_EQ(o.pending(), 6u);
  o.retire_before(120);
  EXPECT_EQ(o.pending(), 3u) << "[0,100), [100,110), [110,120) are past";
  EXPECT_EQ(o.reserve(120, 50), 245u) << "[120,170), [170,200) free only 30; next free after 245";
}

}  // namespace
}  // namespace memgan
