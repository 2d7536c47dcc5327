"""Lines: what each line is asked to make and when it may work (``plan``), the open-time clocks
(``clock``), the vectorized Monte Carlo engine of serial lines (``engine``) and the throughput
forecast around it, polars in and out (``forecast``)."""
