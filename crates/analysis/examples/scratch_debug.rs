use faultmaven_analysis::{MinerConfig, TemplateMiner};
fn main() {
    let text = std::fs::read_to_string("/tmp/e9.txt").unwrap();
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    for line in text.lines() {
        let id = miner.add(line);
        println!("{id} {line}");
    }
    for t in miner.templates() { println!("{:?}", t); }
}
