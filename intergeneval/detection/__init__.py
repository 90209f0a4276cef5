"""First-frame object detection: find each scenario object on a frame and return one mask per object."""
