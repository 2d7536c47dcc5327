-- Defect Pareto: one row per defect code, defects found from $since up to $end, most first.
select
    defect_code,
    sum(defect_qty) as defect_qty,
    count(distinct lot_id) as lots,
from core.defects
where ts >= $since
    and ts < $end
group by all
order by defect_qty desc, defect_code
