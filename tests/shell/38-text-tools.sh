# Text processing with external tools chained together.
cat > data.csv <<EOF
name,qty,price
apple,3,1.20
pear,10,0.50
fig,7,2.00
apple,2,1.20
EOF
tail -n +2 data.csv | cut -d, -f1 | sort | uniq -c | sed 's/^ *//'
grep -c apple data.csv
grep -v '^name' data.csv | awk -F, '{ t += $2 * $3 } END { printf "%.2f\n", t }'
sed -n '2,3p' data.csv
sed 's/,/ | /g' data.csv | head -2
tr ',' '\n' < data.csv | sort -u | head -5
cut -c1-3 data.csv | tr -d '\n'; echo
od -An -c < data.csv | head -1
rev data.csv | tail -1
cut -d, -f2 data.csv | paste -s -d+ | sed 's/^qty+//'
