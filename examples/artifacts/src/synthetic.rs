//! Wasm binaries made in code rather than built from a guest's source: the
//! hostile shapes that tests of the compile limits need (a module of 200,000
//! empty functions is ~800 KB and zips to about 1 KB), encoded by hand so the
//! exact count of each declared item is what the test says.

/// Appends `n` as unsigned LEB128.
fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends a section: id, byte length, body.
fn section(id: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(body.len() as u64, out);
    out.extend_from_slice(body);
}

/// A core module of `functions` functions of type `() -> ()`, each body
/// `body_nops` `nop`s long, plus `memories` memories of one page.
pub fn module(functions: u32, body_nops: usize, memories: u32) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    section(1, &[1, 0x60, 0, 0], &mut m);
    let mut funcs = Vec::new();
    leb(functions.into(), &mut funcs);
    funcs.resize(funcs.len() + functions as usize, 0);
    section(3, &funcs, &mut m);
    if memories > 0 {
        let mut mems = Vec::new();
        leb(memories.into(), &mut mems);
        for _ in 0..memories {
            mems.extend([0x00, 0x01]);
        }
        section(5, &mems, &mut m);
    }
    let mut body = vec![0u8]; // no locals
    body.resize(1 + body_nops, 0x01); // nop
    body.push(0x0b); // end
    let mut code = Vec::new();
    leb(functions.into(), &mut code);
    for _ in 0..functions {
        leb(body.len() as u64, &mut code);
        code.extend_from_slice(&body);
    }
    section(10, &code, &mut m);
    m
}

/// A component holding `inner` as a nested core module.
pub fn component_around(inner: &[u8]) -> Vec<u8> {
    let mut c = b"\0asm\x0d\0\x01\0".to_vec();
    section(1, inner, &mut c);
    c
}

/// A component holding `inner` as a nested component.
pub fn component_nesting(inner: &[u8]) -> Vec<u8> {
    let mut c = b"\0asm\x0d\0\x01\0".to_vec();
    section(4, inner, &mut c);
    c
}
