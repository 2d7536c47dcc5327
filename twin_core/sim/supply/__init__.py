"""Supply: material requirements and the inventory projection (``inventory``), reorder policy
(``replenishment``), supplier lead times and performance (``suppliers``), demand the open work
orders leave uncovered (``uncovered_demand``) and the snapshot's supply tables built from them
(``chain``)."""
