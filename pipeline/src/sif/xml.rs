//! A small XML element tree: built in code, written indented with every
//! text and attribute value escaped.

/// One element.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: Option<String>,
    pub children: Vec<Element>,
}

/// `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Element {
    pub fn new(name: &str) -> Self {
        Element {
            name: name.to_string(),
            attrs: Vec::new(),
            text: None,
            children: Vec::new(),
        }
    }

    /// An element holding `text`.
    pub fn leaf(name: &str, text: &str) -> Self {
        let mut e = Element::new(name);
        e.text = Some(text.to_string());
        e
    }

    pub fn attr(mut self, name: &str, value: &str) -> Self {
        self.attrs.push((name.to_string(), value.to_string()));
        self
    }

    pub fn child(mut self, e: Element) -> Self {
        self.children.push(e);
        self
    }

    /// A leaf child, only when `text` is not blank.
    pub fn leaf_if(self, name: &str, text: &str) -> Self {
        if text.is_empty() {
            self
        } else {
            self.child(Element::leaf(name, text))
        }
    }

    pub fn children(mut self, list: Vec<Element>) -> Self {
        self.children.extend(list);
        self
    }

    /// Writes the element at `depth` (two spaces a level).
    pub fn write(&self, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        out.push_str(&pad);
        out.push('<');
        out.push_str(&self.name);
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v)));
        }
        match (&self.text, self.children.is_empty()) {
            (Some(t), true) => out.push_str(&format!(">{}</{}>\n", escape(t), self.name)),
            (None, true) => out.push_str("/>\n"),
            _ => {
                out.push_str(">\n");
                for c in &self.children {
                    c.write(out, depth + 1);
                }
                out.push_str(&format!("{pad}</{}>\n", self.name));
            }
        }
    }

    /// Every element and attribute path below this element
    /// (`Name/LastName`, `Name/@Type`), each once, in first-seen order
    /// (`xmlns` left out).
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect("", &mut out);
        out
    }

    fn collect(&self, prefix: &str, out: &mut Vec<String>) {
        let at = |p: &str| {
            if prefix.is_empty() {
                p.to_string()
            } else {
                format!("{prefix}/{p}")
            }
        };
        for (k, _) in &self.attrs {
            let p = at(&format!("@{k}"));
            if k != "xmlns" && !out.contains(&p) {
                out.push(p);
            }
        }
        for c in &self.children {
            let p = at(&c.name);
            if !out.contains(&p) {
                out.push(p.clone());
            }
            c.collect(&p, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_paths_listed() {
        let e = Element::new("StudentPersonal").attr("RefId", "A&B").child(
            Element::new("Name")
                .attr("Type", "04")
                .child(Element::leaf("LastName", "O'Brien <x>")),
        );
        let mut s = String::new();
        e.write(&mut s, 0);
        assert_eq!(
            s,
            "<StudentPersonal RefId=\"A&amp;B\">\n  <Name Type=\"04\">\n    <LastName>O&apos;Brien &lt;x&gt;</LastName>\n  </Name>\n</StudentPersonal>\n"
        );
        assert_eq!(e.paths(), ["@RefId", "Name", "Name/@Type", "Name/LastName"]);
    }
}
